"""Collections and group permissions on them; every existing asset goes to the root."""

import django.db.models.deletion
from django.db import migrations, models

import transcoder.models.collections


def assets_to_root(apps, schema_editor):
    """Create the root collection (treebeard's first root path) and fill it."""
    Collection = apps.get_model("transcoder", "Collection")
    Asset = apps.get_model("transcoder", "Asset")
    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is None:
        root = Collection.objects.create(path="0001", depth=1, numchild=0, name="Root")
    Asset.objects.filter(collection__isnull=True).update(collection=root)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("transcoder", "0005_library"),
    ]

    operations = [
        migrations.CreateModel(
            name="Collection",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("path", models.CharField(max_length=255, unique=True)),
                ("depth", models.PositiveIntegerField()),
                ("numchild", models.PositiveIntegerField(default=0)),
                ("name", models.CharField(max_length=255)),
            ],
            options={"verbose_name": "collection"},
        ),
        migrations.AddField(
            model_name="asset",
            name="collection",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assets",
                to="transcoder.collection",
            ),
        ),
        migrations.RunPython(assets_to_root, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="asset",
            name="collection",
            field=models.ForeignKey(
                default=transcoder.models.collections.root_collection_id,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assets",
                to="transcoder.collection",
            ),
        ),
        migrations.CreateModel(
            name="GroupCollectionPermission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "collection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="group_permissions",
                        to="transcoder.collection",
                    ),
                ),
                (
                    "group",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="collection_permissions",
                        to="auth.group",
                    ),
                ),
                (
                    "permission",
                    models.ForeignKey(
                        limit_choices_to={
                            "content_type__app_label": "transcoder",
                            "content_type__model": "asset",
                        },
                        on_delete=django.db.models.deletion.CASCADE,
                        to="auth.permission",
                    ),
                ),
            ],
            options={
                "verbose_name": "group collection permission",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("group", "collection", "permission"),
                        name="group_collection_permission_unique",
                    )
                ],
            },
        ),
    ]
