from django.urls import path, register_converter

from hubbub.web.views import accounts, posts, search, timelines


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
    path("", timelines.home, name="home"),
    path("public", timelines.public, name="public"),
    path("tags/<str:name>", timelines.tag, name="tag"),
    path("signup", accounts.signup, name="signup"),
    path("login", accounts.LoginView.as_view(), name="login"),
    path("logout", accounts.LogoutView.as_view(), name="logout"),
    path("settings/profile", accounts.edit_profile, name="edit_profile"),
    path("notes", posts.post_note, name="post_note"),
    path("compose/count", posts.post_compose_count, name="compose_count"),
    path("search", search.search, name="search"),
    path("@<str:username>", accounts.profile, name="profile"),
    path("@<str:username>/followers", accounts.followers, name="followers"),
    path("@<str:username>/following", accounts.following, name="following"),
    path("@<str:username>/follow", accounts.put_follow, name="follow"),
    path("@<str:username>/unfollow", accounts.delete_follow, name="unfollow"),
    path("@<str:username>/<postid:post_id>", posts.note, name="note"),
]
