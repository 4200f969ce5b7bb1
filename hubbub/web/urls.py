from django.urls import path, register_converter

from hubbub.web import views


class PostIdConverter:
    # Ids are positive 64-bit integers; anything longer is simply not found.
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(PostIdConverter, "postid")

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("public", views.public, name="public"),
    path("signup", views.signup, name="signup"),
    path("login", views.LoginView.as_view(), name="login"),
    path("logout", views.LogoutView.as_view(), name="logout"),
    path("settings/profile", views.edit_profile, name="edit_profile"),
    path("notes", views.post_note, name="post_note"),
    path("compose/count", views.post_compose_count, name="compose_count"),
    path("@<str:username>", views.profile, name="profile"),
    path("@<str:username>/followers", views.followers, name="followers"),
    path("@<str:username>/following", views.following, name="following"),
    path("@<str:username>/follow", views.put_follow, name="follow"),
    path("@<str:username>/unfollow", views.delete_follow, name="unfollow"),
    path("@<str:username>/<postid:post_id>", views.note, name="note"),
]
