from django.urls import path, register_converter

from hubbub.web.views import (
    accounts,
    blog,
    feeds,
    moderation,
    news,
    posts,
    search,
    social,
    timelines,
)


class PostIdConverter:
    # Ids are positive 64-bit integers; anything longer is simply not found.
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(PostIdConverter, "postid")


class FeedFormatConverter:
    regex = "atom|rss"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FeedFormatConverter, "feedformat")

app_name = "web"
urlpatterns = [
    path("", timelines.home, name="home"),
    path("public", timelines.public, name="public"),
    path("tags/<str:name>", timelines.tag, name="tag"),
    path("signup", accounts.signup, name="signup"),
    path("login", accounts.LoginView.as_view(), name="login"),
    path("logout", accounts.LogoutView.as_view(), name="logout"),
    path("settings/profile", accounts.edit_profile, name="edit_profile"),
    path("settings/promotions", accounts.promotions, name="promotions"),
    path("settings/reading", accounts.edit_reading, name="edit_reading"),
    path("notes", posts.post_note, name="post_note"),
    path("compose/count", posts.post_compose_count, name="compose_count"),
    path("search", search.search, name="search"),
    path("moderation", moderation.queue, name="moderation_queue"),
    path("moderation/log", moderation.log, name="moderation_log"),
    path(
        "moderation/reports/<postid:report_id>",
        moderation.act,
        name="moderation_act",
    ),
    path(
        "@<str:username>/<postid:post_id>/report",
        moderation.report_post,
        name="report_note",
    ),
    path("@<str:username>/report", moderation.report_account, name="report_account"),
    # The blog: writing, drafts, held comments, blogs and articles, feeds.
    path("blog/new", blog.new_article, name="new_article"),
    path("blog/drafts", blog.drafts, name="drafts"),
    path("blog/comments", blog.held_comments, name="held_comments"),
    path(
        "blog/comments/<postid:post_id>/<str:verb>",
        blog.post_held_comment,
        name="held_comment",
    ),
    path("blog/<postid:article_id>/edit", blog.edit_article, name="edit_article"),
    path(
        "blog/<postid:article_id>/unpublish",
        blog.post_unpublish,
        name="unpublish_article",
    ),
    path(
        "blog/<postid:article_id>/comments",
        blog.post_comments_setting,
        name="article_comments",
    ),
    path("feed.<feedformat:fmt>", feeds.site_feed, name="site_feed"),
    path("tags/<str:name>/feed.<feedformat:fmt>", feeds.tag_feed, name="tag_feed"),
    path(
        "conversations/<postid:post_id>/feed.<feedformat:fmt>",
        feeds.conversation_feed,
        name="conversation_feed",
    ),
    path(
        "@<str:username>/feed.<feedformat:fmt>", feeds.author_feed, name="author_feed"
    ),
    path("@<str:username>/blog", blog.blog_index, name="blog"),
    path("@<str:username>/blog/<postid:post_id>", blog.article, name="article_by_id"),
    path(
        "@<str:username>/blog/<postid:post_id>/<str:slug>",
        blog.article,
        name="article",
    ),
    path("@<str:username>", accounts.profile, name="profile"),
    path("@<str:username>/followers", accounts.followers, name="followers"),
    path("@<str:username>/following", accounts.following, name="following"),
    path("@<str:username>/follow", accounts.put_follow, name="follow"),
    path("@<str:username>/unfollow", accounts.delete_follow, name="unfollow"),
    path("@<str:username>/<postid:post_id>", posts.note, name="note"),
    # Favourites, boosts, deleting, notifications, requests, blocks, mutes.
    path("notes/<postid:post_id>/delete", social.delete_note, name="delete_note"),
    # favourite, unfavourite, boost, unboost
    path("notes/<postid:post_id>/<str:verb>", social.post_reaction, name="reaction"),
    path(
        "@<str:username>/<postid:post_id>/favourited_by",
        social.favourited_by,
        name="favourited_by",
    ),
    path(
        "@<str:username>/<postid:post_id>/boosted_by",
        social.boosted_by,
        name="boosted_by",
    ),
    path("notifications", social.notifications, name="notifications"),
    path("notifications/unread", social.get_unread_count, name="unread_count"),
    path("notifications/read", social.put_notifications_read, name="mark_read"),
    path("settings/follow-requests", social.follow_requests, name="follow_requests"),
    path(
        "settings/blocks",
        social.blocks_and_mutes,
        {"which": "blocks"},
        name="blocks",
    ),
    path("settings/mutes", social.blocks_and_mutes, {"which": "mutes"}, name="mutes"),
    path("@<str:username>/approve", social.put_follow_approval, name="approve_follow"),
    path("@<str:username>/reject", social.delete_follow_request, name="reject_follow"),
    path(
        "@<str:username>/block",
        social.post_relationship,
        {"verb": "block"},
        name="block",
    ),
    path(
        "@<str:username>/unblock",
        social.post_relationship,
        {"verb": "unblock"},
        name="unblock",
    ),
    path(
        "@<str:username>/mute",
        social.post_relationship,
        {"verb": "mute"},
        name="mute",
    ),
    path(
        "@<str:username>/unmute",
        social.post_relationship,
        {"verb": "unmute"},
        name="unmute",
    ),
    # Social news.
    path("news", news.front_page, name="news"),
    path("news/newest", news.newest_promoted, name="news_newest"),
    path("news/upcoming", news.upcoming, name="upcoming"),
    path("news/submit", news.submit, name="submit_story"),
    path("news/review", news.review_queue, name="news_review"),
    path("news/<postid:post_id>", news.story, name="story"),
    path("news/<postid:post_id>/why", news.why, name="story_why"),
    path("news/<postid:post_id>/digg", news.post_digg, name="digg"),
    path("news/<postid:post_id>/undigg", news.delete_digg, name="undigg"),
    path("news/<postid:post_id>/bury", news.post_bury, name="bury_story"),
    path("news/<postid:post_id>/unbury", news.delete_bury, name="unbury_story"),
    path("news/<postid:post_id>/comments", news.post_comment, name="comment"),
    path("news/<postid:post_id>/hold", news.post_hold, name="hold_story"),
    path("news/<postid:post_id>/release", news.delete_hold, name="release_story"),
    path(
        "news/comments/<postid:post_id>/bury",
        news.post_comment_bury,
        name="bury_comment",
    ),
    path("news/posts/<postid:post_id>/report", news.post_report, name="report_post"),
]
