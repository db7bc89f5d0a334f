"""Messages editors read, in English, with what a translation needs to word them.

No Django. A refusal keeps its English text (a msgid with ``%(name)s``
placeholders) and its values apart, so ``str()`` reads as before while a door
words it in the reader's language: ``message.render(gettext)``. The text is
marked with ``gettext_noop`` so ``makemessages`` finds it.
"""


def gettext_noop(text: str) -> str:
    """Mark ``text`` for the catalogue and return it unchanged."""
    return text


class Message:
    """An English msgid and its values; a value may be a Message itself."""

    __slots__ = ("params", "text")

    def __init__(self, text: str, /, **params):
        self.text = text
        self.params = params

    def render(self, translate=None) -> str:
        """Return the message worded by ``translate`` (None: English)."""
        words = translate or (lambda text: text)
        params = {
            name: value.render(translate) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        text = words(self.text)
        return text % params if params else text

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.text!r}, **{self.params!r})"


class MessageError(ValueError):
    """An error whose ``message`` (a Message) an editor reads."""

    def __init__(self, text, /, **params):
        self.message = text if isinstance(text, Message) else Message(text, **params)
        super().__init__(str(self.message))
