"""The mail stage: raw input -> ``Message`` records (mbox.py), subject
prefixes (subject.py) and body parts (body.py).

``from reviewtool.mail import Message, read_messages, parse_subject, parse_body``
"""

from reviewtool.mail.body import PatchBody, Trailer, parse_body, parse_reply_trailers
from reviewtool.mail.mbox import (
    MailFact,
    MailFactKind,
    MailInput,
    Message,
    iter_messages,
    read_messages,
)
from reviewtool.mail.subject import Subject, parse_subject

__all__ = [
    "MailFact",
    "MailFactKind",
    "MailInput",
    "Message",
    "PatchBody",
    "Subject",
    "Trailer",
    "iter_messages",
    "parse_body",
    "parse_reply_trailers",
    "parse_subject",
    "read_messages",
]
