"""The transfer session: run mitigation strategies around the fine-tuning loop the user already has.

``Strategy`` is the hook base every strategy subclasses, ``Compose`` runs several as one, ``TransferSession``
attaches them to a model / optimizer / loop and undoes its temporary changes on exit, ``TransferContext`` is what
every hook receives. See ``docs/session.md``.
"""

from mitigate.session._compose import Compose
from mitigate.session._context import TransferContext
from mitigate.session._session import TransferSession
from mitigate.session.strategy import Strategy

__all__ = ["Compose", "Strategy", "TransferContext", "TransferSession"]
