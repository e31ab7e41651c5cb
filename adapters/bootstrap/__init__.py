"""The composition root: the one place that turns settings into concrete adapters.

`adapters/settings.py` reads the settings (the README's table lists them). From them the
modules here build what the entry points are handed: the store and the views
(`store.py`), the card CA and the cards' keys (`card_ca.py`), the login checker
(`logins.py`), the reader at a workstation (`workstation.py`) and the tools of the CLI
(`tools.py`). The CLI commands and the HTTP app factory import concrete adapters only
through this package."""

from adapters.bootstrap.card_ca import (
    DEMO_CA_PASSPHRASE,
    DEMO_MARKER,
    CardWorkshop,
    blank_card_key,
    ca_passphrase,
    card_authority,
    create_card_ca,
    export_supplier_secret,
    import_card_ca,
    write_crl,
)
from adapters.bootstrap.logins import (
    CertificateChecker,
    certificate_inspector,
    client_certificate_checker,
    load_certificates,
    load_crls,
    uzi_ca_oids,
    uzi_pass_validator,
)
from adapters.bootstrap.store import (
    JOB_SECRET_FILE,
    bind_store,
    create_master_secret,
    demo_personal_ids_key,
    init_data_dir,
    job_secret,
    open_lifecycle,
    open_views_db,
    read_master_secret,
    store_facts,
)
from adapters.http.tokens import ROLES as SERVICE_ROLES
from adapters.settings import ConfigurationError, Settings, postgres_env

__all__ = [
    "DEMO_CA_PASSPHRASE",
    "DEMO_MARKER",
    "JOB_SECRET_FILE",
    "SERVICE_ROLES",
    "CardWorkshop",
    "CertificateChecker",
    "ConfigurationError",
    "Settings",
    "bind_store",
    "blank_card_key",
    "ca_passphrase",
    "card_authority",
    "certificate_inspector",
    "client_certificate_checker",
    "create_card_ca",
    "create_master_secret",
    "demo_personal_ids_key",
    "export_supplier_secret",
    "import_card_ca",
    "init_data_dir",
    "job_secret",
    "load_certificates",
    "load_crls",
    "open_lifecycle",
    "open_views_db",
    "postgres_env",
    "read_master_secret",
    "store_facts",
    "uzi_ca_oids",
    "uzi_pass_validator",
    "write_crl",
]
