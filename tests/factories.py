"""factory_boy factories: one per model, minimal defaults."""

import factory
from django.utils import timezone

from hubbub.accounts.models import Account, Follow
from hubbub.posts.models import Kind, Post, Visibility

PASSWORD = "a long test password"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    display_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class FollowFactory(factory.django.DjangoModelFactory):
    """A raw follow row; tests of following itself use the action."""

    class Meta:
        model = Follow

    follower = factory.SubFactory(AccountFactory)
    followee = factory.SubFactory(AccountFactory)


class PostFactory(factory.django.DjangoModelFactory):
    """A raw post row; tests of publishing use ``publish_note``."""

    class Meta:
        model = Post

    author = factory.SubFactory(AccountFactory)
    kind = Kind.NOTE
    visibility = Visibility.PUBLIC
    text = factory.Sequence(lambda n: f"note number {n}")
    html = factory.LazyAttribute(lambda o: f"<p>{o.text}</p>")
    created_at = factory.LazyFunction(timezone.now)
