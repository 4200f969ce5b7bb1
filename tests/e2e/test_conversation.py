"""Three people hold a conversation: a mention, a reply, a favourite, a boost.

Each step is checked from the side of the person it happens to, the way
they would see it in their browser. Fan-out and notifications run in the
server's worker, so those checks reload the page until the work shows up.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from hubbub.posts.models import Post
from tests.e2e.test_microblog import sign_up
from tests.live import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NOTE = "Picnic by the pond on Saturday! @cat could you bring the big blanket? #picnic"
REPLY = "Count me in, I'll bake scones."
# The buttons' names end with this (the page uses a typographic apostrophe).
ANNS_NOTE = "@ann\u2019s note"


def reload_until(page: Page, url: str, selector: str, text: str) -> None:
    """Reload ``url`` until ``selector`` contains ``text`` (the worker's work)."""
    for _ in range(60):
        page.goto(url)
        if text in page.locator(selector).inner_text():
            break
        page.wait_for_timeout(250)
    expect(page.locator(selector)).to_contain_text(text)


def follow(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/@{username}")
    page.get_by_role("button", name=f"Follow @{username}").click()
    expect(page.get_by_role("button", name=f"Unfollow @{username}")).to_be_visible()


def test_a_conversation_seen_from_each_side(live_hubbub, new_page, screenshot_dir):
    base = live_hubbub
    ann, ben, cat = new_page(), new_page(), new_page(mobile=True)
    for page, name in ((ann, "ann"), (ben, "ben"), (cat, "cat")):
        sign_up(page, base, name)
    follow(ben, base, "ann")
    follow(ben, base, "cat")
    follow(cat, base, "ann")

    # ann posts a note that mentions cat.
    ann.get_by_label("What are you doing?").fill(NOTE)
    ann.get_by_role("button", name="Post").click()
    expect(ann.locator("#timeline")).to_contain_text("Picnic by the pond")
    note = Post.objects.get(author__username="ann")
    note_url = f"{base}/@ann/{note.id}"

    # cat is told: a mention notification, and an unread badge in the header.
    reload_until(cat, f"{base}/notifications", ".notifications", "mentioned you")
    mention = cat.locator(".notification.mention")
    expect(mention).to_have_count(1)
    expect(mention).to_contain_text("ann")
    expect(mention).to_contain_text("Picnic by the pond")
    # Unread: ben following her, and the mention.
    expect(cat.locator(".notification.follow")).to_contain_text("ben")
    expect(cat.get_by_role("link", name="Notifications 2 unread")).to_be_visible()

    # ben finds the note on his home timeline and replies from its page; the
    # reply form already addresses its author and the person it mentions.
    reload_until(ben, f"{base}/", "#timeline", "Picnic by the pond")
    ben.get_by_role("link", name="Reply to @ann").first.click()
    expect(ben).to_have_url(re.compile(rf"/@ann/{note.id}"))
    reply_box = ben.get_by_label("Reply to @ann", exact=True)
    expect(reply_box).to_have_value(re.compile(r"^@ann @cat\s*$"))
    reply_box.fill(f"{reply_box.input_value().rstrip()} {REPLY}")
    ben.get_by_role("button", name="Reply").click()
    replies = ben.get_by_role("list", name="Replies")
    expect(replies).to_contain_text(REPLY)
    expect(replies.locator("article")).to_have_count(1)

    # ann sees the reply in the thread under her note, and is told about it.
    ann.goto(note_url)
    thread = ann.get_by_role("list", name="Replies")
    expect(thread.locator("article")).to_have_count(1)
    expect(thread).to_contain_text(REPLY)
    expect(thread).to_contain_text("in reply to @ann")
    expect(ann.locator("article.focus")).to_contain_text("1 reply")
    reload_until(ann, f"{base}/notifications", ".notifications", "replied to your note")
    expect(ann.locator(".notification.reply")).to_contain_text(REPLY)

    # cat opens the note from the notification, favourites it and boosts it.
    cat.goto(f"{base}/notifications")
    cat.get_by_role("link", name=re.compile("Picnic by the pond")).click()
    expect(cat).to_have_url(re.compile(rf"/@ann/{note.id}"))
    focused = cat.locator("article.focus")
    expect(focused.get_by_role("link", name="0 favourites: who")).to_be_visible()
    focused.get_by_role("button", name=f"★ Favourite {ANNS_NOTE}", exact=True).click()
    expect(
        focused.get_by_role("button", name=f"★ Unfavourite {ANNS_NOTE}", exact=True)
    ).to_be_visible()
    expect(focused.get_by_role("link", name="1 favourite: who")).to_be_visible()
    focused.get_by_role("button", name=f"🔁 Boost {ANNS_NOTE}", exact=True).click()
    expect(
        focused.get_by_role("button", name=f"🔁 Unboost {ANNS_NOTE}", exact=True)
    ).to_be_visible()
    expect(focused.get_by_role("link", name="1 boost: who")).to_be_visible()

    # ann is told about both, and her note shows the counts.
    reload_until(ann, f"{base}/notifications", ".notifications", "boosted your note")
    reload_until(ann, f"{base}/notifications", ".notifications", "favourited your note")
    expect(ann.locator(".notification.favourite")).to_contain_text("cat")
    expect(ann.locator(".notification.reblog")).to_contain_text("cat")
    # Two follows, the reply, the favourite and the boost.
    expect(ann.locator(".notification")).to_have_count(5)
    expect(ann.get_by_role("link", name="Notifications 5 unread")).to_be_visible()
    ann.goto(note_url)
    mine = ann.locator("article.focus")
    expect(mine.get_by_role("link", name="1 favourite: who")).to_be_visible()
    expect(mine.get_by_role("link", name="1 boost: who")).to_be_visible()
    expect(mine).to_contain_text("1 reply")

    # ben follows both ann and cat. Once cat's boost has been fanned out,
    # his home timeline still shows ann's note once: a boost skips readers
    # who already have its original, so there is no "boosted by" line.
    boost = Post.objects.get(author__username="cat", reblog_of=note)
    assert wait_for(
        lambda: Post.objects.filter(id=boost.id, fanned_out_at__isnull=False).exists(),
        timeout=15,
    )
    ben.goto(f"{base}/")
    timeline = ben.locator("#timeline")
    expect(timeline.locator("article", has_text="Picnic by the pond")).to_have_count(1)
    expect(timeline.locator(".boosted-by")).to_have_count(0)
    expect(timeline.locator("article", has_text=REPLY)).to_have_count(1)

    # cat's own home has her boost, marked as hers, above ann's original:
    # the booster's own timeline gets the boost whatever it already holds.
    cat.goto(f"{base}/")
    boosted = cat.locator("#timeline article", has_text="boosted by")
    expect(boosted).to_have_count(1)
    expect(boosted).to_contain_text("Picnic by the pond")
    picnic = cat.locator("#timeline article", has_text="Picnic by the pond")
    expect(picnic).to_have_count(2)
    expect(picnic.first).to_contain_text("boosted by")
    cat.screenshot(path=f"{screenshot_dir}/hubbub-conversation.png", full_page=True)
