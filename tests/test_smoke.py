from hubbub.posts.actions import publish_note
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds


def test_follower_sees_published_note_after_fan_out(alice, bob, run_jobs):
    from hubbub.accounts.actions import follow_account

    follow_account(alice, followee=bob)
    with run_jobs():
        note = publish_note(bob, text="hello")
    assert [p.id for p in home_timeline(alice, PageBounds())] == [note.id]
