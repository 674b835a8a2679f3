from django.urls import path

from . import views_2fa, views_security

urlpatterns = [
    path("login/code/", views_2fa.login_2fa, name="login_2fa"),
    path("account/two-factor/", views_2fa.two_factor_setup, name="two_factor_setup"),
    path("security/sign-ins/", views_security.sign_in_list, name="sign_in_list"),
]
