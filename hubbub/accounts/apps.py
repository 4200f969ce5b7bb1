from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hubbub.accounts"
    label = "accounts"
