"""The rules a comment on an article follows, applied by ``publish_note``.

A comment is a note in the article's conversation. The article's author
can close comments, and a first-time commenter's first comment is held
for the author's approval (WordPress's default, "comment author must have
a previously approved comment"). A held comment is written as a direct
note to the article's author, so ``visible_posts`` already shows it to
the two of them and no one else; approving it restores the visibility the
commenter chose (``blog.actions.approve_comment``).

This module imports no actions, so ``posts.actions`` can call it.
"""

from django.core.exceptions import ValidationError

from hubbub.accounts.models import Account
from hubbub.blog.models import ApprovedCommenter, Article, CommentHold
from hubbub.posts.models import Mention, Post

COMMENTS_CLOSED = "Comments are closed on this article."


def check_comment(author: Account, parent: Post) -> Article | None:
    """Return the article a reply to ``parent`` is held on, else None.

    None also for a reply outside any article's conversation, and for the
    article's author and commenters they approved before. Raises
    ValidationError (code ``closed``) when the article's comments are
    closed.
    """
    article = (
        Article.objects.filter(post_id=parent.conversation_id)
        .only("id", "author_id", "comments_closed")
        .first()
    )
    if article is None:
        return None
    if article.comments_closed:
        raise ValidationError(COMMENTS_CLOSED, code="closed")
    if author.pk == article.author_id:
        return None
    approved = ApprovedCommenter.objects.filter(
        author_id=article.author_id, commenter=author
    ).exists()
    return None if approved else article


def hold_comment(post: Post, *, article: Article, visibility: str) -> None:
    """Hold ``post``, written as a direct note, for ``article``'s author.

    Call in the transaction that wrote ``post``, before it commits, so the
    fan-out finds the author among those it mentions.
    """
    _, added = Mention.objects.get_or_create(post=post, account_id=article.author_id)
    CommentHold.objects.create(
        post=post, article=article, visibility=visibility, added_mention=added
    )
