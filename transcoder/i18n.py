"""Word the pipeline's messages in the reader's language.

``transcoder.imaging`` imports no Django: its refusals keep an English msgid
and its values (``imaging.messages.Message``). Services and doors show them
through ``worded``, which translates with the active language (set per
request by LocaleMiddleware; English where there is no request).
"""

from django.utils.translation import gettext

from transcoder.imaging.messages import Message


def worded(message):
    """Return ``message`` (a Message, or an error carrying one) translated."""
    found = getattr(message, "message", message)
    if isinstance(found, Message):
        return found.render(gettext)
    return str(message)
