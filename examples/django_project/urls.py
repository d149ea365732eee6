"""URLs of the example project: the same routes as the other example apps."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("items/<int:item_id>", views.item),
    path("form", views.form),
    path("json", views.echo_json),
    path("upload", views.upload),
    path("cookie/set", views.set_cookie),
    path("cookie/get", views.get_cookie),
    path("stream", views.stream),
    path("boom", views.boom),
]
