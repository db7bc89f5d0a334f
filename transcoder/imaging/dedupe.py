"""Specs that give the same output for a given source: build each distinct one once.

A responsive preset (hero at 640, 1024, 1440 and 1920 px) asked of an 800 px
original comes out as the same 800 px image for every width above 800, since
nothing is ever enlarged. The output depends on the spec's fit, format,
quality, background, focal point and the *effective* size, not on the width
asked. No Django: services/rendering/renditions.py can call ``distinct_outputs`` before
``engine.render`` and write one encoded output under each equal spec's name.
"""

import dataclasses


def output_key(spec, width, height):
    """Return what decides the output bytes of ``spec`` for a width x height source."""
    fields = dataclasses.asdict(spec)
    fields.pop("width")
    fields.pop("height")
    return (spec.target_size(width, height), tuple(sorted(fields.items(), key=str)))


def distinct_outputs(specs, width, height):
    """Group ``specs`` by identical output: a list of (first spec, [all its specs])."""
    groups = {}
    for spec in specs:
        groups.setdefault(output_key(spec, width, height), []).append(spec)
    return [(same[0], same) for same in groups.values()]
