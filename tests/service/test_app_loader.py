"""``--app module:attribute``: what load_app finds, and what it says when it finds nothing.

Every test writes its throwaway app modules into its own tmp_path under a name no other
test uses, so sys.modules never hands one test another's module.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from twisted_wsgi_lab.service.app_loader import AppLoadError, load_app

_serial = itertools.count()

# An app whose body says who built it, and a factory that records every call.
FACTORY_SOURCE = """
    calls = []

    def create_app(*args, **kwargs):
        calls.append((args, kwargs))

        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [repr((args, kwargs)).encode()]

        return app
"""


def answer(app: Callable[..., Any]) -> bytes:
    """The body ``app`` returns for ``GET /``."""
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        statuses.append(status)

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_PROTOCOL": "HTTP/1.1"}
    body = b"".join(app(environ, start_response))
    assert statuses == ["200 OK"]
    return body


def greeting_module(text: str, assign: str = "app = start") -> str:
    """Source of a module whose WSGI function ``start`` answers ``text``, then ``assign``."""
    return textwrap.dedent(
        f"""\
        def start(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [{text.encode()!r}]

        """
    ) + textwrap.dedent(assign)


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory for app modules; sys.path and sys.modules are restored afterwards."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def write_module(app_dir: Path) -> Callable[..., str]:
    """write_module(source, [name]) -> the name of a new module in ``app_dir``."""

    def write(source: str, name: str | None = None) -> str:
        name = name or f"labweb_test_app_{next(_serial)}"
        path = app_dir.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        return name

    return write


def load_error(spec: str, app_dir: Path | str) -> str:
    with pytest.raises(AppLoadError) as info:
        load_app(spec, str(app_dir))
    return str(info.value)


# -- finding the app ------------------------------------------------------------------


def test_module_colon_attribute_loads_that_attribute(write_module, app_dir):
    name = write_module(greeting_module("hello from app"))
    assert answer(load_app(f"{name}:app", str(app_dir))) == b"hello from app"


def test_a_module_alone_means_its_application_attribute(write_module, app_dir):
    name = write_module(greeting_module("hello from application", "application = start"))
    assert answer(load_app(name, str(app_dir))) == b"hello from application"


def test_a_dotted_attribute_is_followed_through_objects(write_module, app_dir):
    nesting = """
        class holder:
            class inner:
                app = start
    """
    name = write_module(greeting_module("nested", nesting))
    assert answer(load_app(f"{name}:holder.inner.app", str(app_dir))) == b"nested"


def test_a_module_inside_a_package_is_found_by_its_dotted_name(write_module, app_dir):
    package = f"labweb_test_pkg_{next(_serial)}"
    write_module("", name=f"{package}.__init__")
    write_module(greeting_module("from the package"), name=f"{package}.web")
    assert answer(load_app(f"{package}.web:app", str(app_dir))) == b"from the package"


def test_a_factory_with_empty_parentheses_is_called_to_make_the_app(write_module, app_dir):
    name = write_module(FACTORY_SOURCE)
    assert answer(load_app(f"{name}:create_app()", str(app_dir))) == b"((), {})"
    assert sys.modules[name].calls == [((), {})]


def test_a_factory_receives_literal_positional_and_keyword_arguments(write_module, app_dir):
    name = write_module(FACTORY_SOURCE)
    app = load_app(f"{name}:create_app('x', n=2)", str(app_dir))
    assert answer(app) == b"(('x',), {'n': 2})"


def test_factory_arguments_may_be_any_python_literal(write_module, app_dir):
    name = write_module(FACTORY_SOURCE)
    load_app(
        f"{name}:create_app(-1.5, b'raw', (1, 2), debug=True, opts={{'a': [None]}})", str(app_dir)
    )
    assert sys.modules[name].calls == [
        ((-1.5, b"raw", (1, 2)), {"debug": True, "opts": {"a": [None]}})
    ]


def test_a_module_in_the_app_directory_wins_over_one_of_the_same_name_elsewhere(
    write_module, app_dir, tmp_path_factory, monkeypatch
):
    name = write_module(greeting_module("from --app-dir"))
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / f"{name}.py").write_text(greeting_module("elsewhere"))
    monkeypatch.syspath_prepend(str(elsewhere))
    assert answer(load_app(f"{name}:app", str(app_dir))) == b"from --app-dir"


# -- saying what is wrong --------------------------------------------------------------


def test_a_factory_that_raises_is_reported_with_its_exception(write_module, app_dir):
    name = write_module("def create_app():\n    raise RuntimeError('database is down')\n")
    message = load_error(f"{name}:create_app()", app_dir)
    assert "RuntimeError" in message
    assert "database is down" in message


@pytest.mark.parametrize(
    "call",
    [
        "create_app(x)",
        "create_app(os.getcwd())",
        "create_app(__import__('os').system('false'))",
        "create_app(lambda: 1)",
        "create_app(*['a'])",
        "create_app(n=1 + open('f').read())",
        "create_app(1))",
    ],
)
def test_factory_arguments_that_are_not_literals_are_refused_without_calling(
    write_module, app_dir, call
):
    name = write_module(FACTORY_SOURCE)
    message = load_error(f"{name}:{call}", app_dir)
    assert "literal" in message
    assert sys.modules[name].calls == []


def test_a_chained_factory_call_is_refused_without_calling(write_module, app_dir):
    name = write_module(FACTORY_SOURCE)
    with pytest.raises(AppLoadError):
        load_app(f"{name}:create_app(1)(2)", str(app_dir))
    assert sys.modules[name].calls == []


def test_double_star_factory_arguments_are_refused_without_calling(write_module, app_dir):
    name = write_module(FACTORY_SOURCE)
    with pytest.raises(AppLoadError):
        load_app(f"{name}:create_app(**{{'n': 2}})", str(app_dir))
    assert sys.modules[name].calls == []


def test_a_missing_module_is_named(app_dir):
    message = load_error("labweb_no_such_module:app", app_dir)
    assert "no module named 'labweb_no_such_module'" in message


def test_a_missing_submodule_of_a_real_package_is_named(write_module, app_dir):
    package = f"labweb_test_pkg_{next(_serial)}"
    write_module("", name=f"{package}.__init__")
    message = load_error(f"{package}.absent:app", app_dir)
    assert f"no module named '{package}.absent'" in message


def test_a_missing_attribute_is_named_with_its_module(write_module, app_dir):
    name = write_module("application = None\n")
    message = load_error(f"{name}:wsgi_app", app_dir)
    assert repr(name) in message
    assert "no attribute 'wsgi_app'" in message


def test_a_missing_part_of_a_dotted_attribute_is_reported(write_module, app_dir):
    name = write_module("class holder:\n    pass\n")
    message = load_error(f"{name}:holder.app", app_dir)
    assert "no attribute 'holder.app'" in message


def test_a_bare_module_without_an_application_attribute_says_application(write_module, app_dir):
    name = write_module("app = None\n")
    assert "no attribute 'application'" in load_error(name, app_dir)


@pytest.mark.parametrize(
    ("source", "kind"),
    [("app = 'hello'\n", "str"), ("app = None\n", "NoneType"), ("app = [1]\n", "list")],
)
def test_an_attribute_that_is_not_callable_is_refused_naming_its_type(
    write_module, app_dir, source, kind
):
    name = write_module(source)
    message = load_error(f"{name}:app", app_dir)
    assert "not callable" in message
    assert kind in message


def test_a_factory_that_returns_something_not_callable_is_refused(write_module, app_dir):
    name = write_module("def create_app():\n    return 42\n")
    message = load_error(f"{name}:create_app()", app_dir)
    assert "not callable" in message
    assert "int" in message


def test_calling_something_that_is_not_a_factory_is_refused(write_module, app_dir):
    name = write_module("settings = {'debug': True}\n")
    message = load_error(f"{name}:settings()", app_dir)
    assert "dict" in message
    assert "not a factory" in message


def test_an_app_dir_that_does_not_exist_is_named(tmp_path):
    missing = tmp_path / "nowhere"
    message = load_error("examples.hello:app", missing)
    assert "--app-dir" in message
    assert str(missing) in message


def test_an_app_dir_that_is_a_file_is_refused(tmp_path):
    a_file = tmp_path / "app.py"
    a_file.write_text("")
    assert "is not a directory" in load_error("app:app", a_file)


@pytest.mark.parametrize("spec", [":app", "", ":"])
def test_a_spec_without_a_module_asks_for_module_colon_attribute(app_dir, spec):
    assert "module:attribute" in load_error(spec, app_dir)


@pytest.mark.parametrize("expression", ["create_app(", "1app", "app-name", "app.", "app()x"])
def test_an_expression_that_is_neither_a_name_nor_a_call_is_refused(
    write_module, app_dir, expression
):
    name = write_module(FACTORY_SOURCE)
    message = load_error(f"{name}:{expression}", app_dir)
    assert repr(expression) in message
    assert sys.modules[name].calls == []


def test_a_missing_dependency_of_the_app_is_named_not_the_app_module(write_module, app_dir):
    name = write_module("import labweb_missing_dependency\napp = None\n")
    message = load_error(f"{name}:app", app_dir)
    assert "labweb_missing_dependency" in message
    assert name in message
    assert f"no module named {name!r}" not in message.lower()


def test_an_error_raised_while_importing_the_app_is_reported_with_its_type(write_module, app_dir):
    name = write_module("raise ValueError('SECRET_KEY is not set')\n")
    message = load_error(f"{name}:app", app_dir)
    assert "ValueError" in message
    assert "SECRET_KEY is not set" in message


def test_a_syntax_error_in_the_app_module_is_reported(write_module, app_dir):
    name = write_module("def app(:\n")
    message = load_error(f"{name}:app", app_dir)
    assert "SyntaxError" in message
    assert name in message
