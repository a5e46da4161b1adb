"""Every table the migrations manage: importing this module registers all models."""

from __future__ import annotations

from binelek.ai import models as _ai  # noqa: F401
from binelek.audit import models as _audit  # noqa: F401
from binelek.connectors import models as _connectors  # noqa: F401
from binelek.foundry import models as _foundry  # noqa: F401
from binelek.identity import models as _identity  # noqa: F401
from binelek.kit import dataversion as _dataversion  # noqa: F401
from binelek.kit import outbox_models as _outbox  # noqa: F401
from binelek.kit.db import Base
from binelek.marketplace import models as _marketplace  # noqa: F401
from binelek.notifications import models as _notifications  # noqa: F401
from binelek.ops import models as _ops  # noqa: F401
from binelek.search import models as _search  # noqa: F401
from binelek.security import models as _security  # noqa: F401
from binelek.tenantdata import models as _tenantdata  # noqa: F401
from binelek.webhooks import models as _webhooks  # noqa: F401

metadata = Base.metadata
