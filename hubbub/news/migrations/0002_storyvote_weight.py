"""Store each vote's weight, so a cluster's total is one SUM in SQL."""

from django.db import migrations, models

from hubbub.news import ranking


def fill_weights(apps, schema_editor):
    # Existing votes get the weight their frozen inputs give.
    StoryVote = apps.get_model("news", "StoryVote")
    for vote in StoryVote.objects.iterator():
        vote.weight = ranking.weight(
            ranking.Voter(
                voter_id=vote.account_id,
                age_days=vote.age_days,
                has_posted=vote.has_posted,
                mutual_follow_with_submitter=vote.tied_to_submitter,
                is_submitter=vote.is_submitter,
            )
        )
        vote.save(update_fields=["weight"])


class Migration(migrations.Migration):
    dependencies = [("news", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="storyvote",
            name="weight",
            field=models.FloatField(default=0.0),
        ),
        migrations.RunPython(fill_weights, migrations.RunPython.noop),
    ]
