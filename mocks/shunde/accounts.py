"""The platform access sheet (shunde Attachment 2): forwarding accounts the district platform issued."""
from __future__ import annotations

import csv
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from harness import specdata

ENV_SHEET = "VCONFORM_SHUNDE_ACCOUNTS"
PASSWORD_BYTES = 8  # jt809 notes §Messages 0x1001: PASSWORD 8 B (E-SD-14)


class SheetError(ValueError):
    """An account sheet that cannot be used: unreadable, a missing column, a password too long."""


@dataclass
class Account:
    """One row of Attachment 2: the issued account and what the operator declared about its side."""

    user_id: int
    password: str
    access_code: int                     # MSG_GNSSCENTERID issued with the account
    allowed_ips: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    down_link_ip: str = ""               # the operator's server (转发数据的服务器IP与端口)
    down_link_port: int = 0              # 0: whatever 0x1001 says
    enterprise: str = ""
    short_name: str = ""

    def __post_init__(self) -> None:
        self.user_id, self.access_code = int(self.user_id), int(self.access_code)
        self.down_link_port = int(self.down_link_port or 0)
        self.password = str(self.password)
        if isinstance(self.allowed_ips, str):
            self.allowed_ips = [p for p in self.allowed_ips.replace(";", ",").split(",") if p.strip()]
        self.allowed_ips = [p.strip() for p in self.allowed_ips]
        if len(self.password.encode("gbk")) > PASSWORD_BYTES:
            raise SheetError(f"account {self.user_id}: password is {len(self.password.encode('gbk'))} bytes, "
                             f"0x1001 PASSWORD holds {PASSWORD_BYTES} (E-SD-14)")
        if not 0 <= self.user_id < 2**32 or not 0 <= self.access_code < 2**32:
            raise SheetError(f"account {self.user_id}: USERID and access code are u32 values")

    def ip_allowed(self, ip: str) -> bool:
        """True when `ip` is listed (an entry may be a network such as 10.0.0.0/8, or '*')."""
        try:
            addr = ipaddress.ip_address(ip.split("%")[0])
        except ValueError:
            return False
        if addr.version == 6 and addr.ipv4_mapped:
            addr = addr.ipv4_mapped
        for entry in self.allowed_ips:
            if entry == "*":
                return True
            try:
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
        return False

    def credentials(self) -> dict[str, Any]:
        """The account as the adapter's `credentials` (DESIGN.md adapter protocol)."""
        return {"user_id": self.user_id, "password": self.password, "access_code": self.access_code,
                "down_link_ip": self.down_link_ip, "down_link_port": self.down_link_port}


class AccountSheet:
    """The accounts by USERID, plus the sheet's [harness] section (server-role settings)."""

    def __init__(self, accounts: Iterable[Account] = (), harness: dict[str, Any] | None = None):
        self.accounts: dict[int, Account] = {}
        self.harness = dict(harness or {})
        for a in accounts:
            self.add(a)

    def add(self, account: Account) -> Account:
        self.accounts[account.user_id] = account
        return account

    def get(self, user_id: int) -> Account | None:
        return self.accounts.get(user_id)

    def __iter__(self):
        return iter(self.accounts.values())

    def __len__(self) -> int:
        return len(self.accounts)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "AccountSheet":
        """Read a sheet from .toml ([[account]] tables) or .csv (one account a row, the same column names)."""
        path = Path(path)
        try:
            if path.suffix.lower() == ".csv":
                with path.open(encoding="utf-8-sig", newline="") as fh:
                    rows, harness = list(csv.DictReader(fh)), {}
            else:
                with path.open("rb") as fh:
                    doc = tomllib.load(fh)
                rows, harness = doc.get("account", []), doc.get("harness", {})
        except (OSError, tomllib.TOMLDecodeError, csv.Error, UnicodeDecodeError) as exc:
            raise SheetError(f"cannot read account sheet {path}: {exc}") from None
        known = set(Account.__dataclass_fields__)
        accounts = []
        for i, row in enumerate(rows, 1):
            try:
                accounts.append(Account(**{k: v for k, v in row.items() if k in known and v not in (None, "")}))
            except TypeError as exc:
                raise SheetError(f"{path} account {i}: {exc}") from None
            except ValueError as exc:
                raise SheetError(f"{path} account {i}: {exc}") from None
        if not accounts:
            raise SheetError(f"{path}: no accounts")
        return cls(accounts, harness)

    @classmethod
    def default(cls) -> "AccountSheet":
        """The sheet named by $VCONFORM_SHUNDE_ACCOUNTS, else schemas/shunde/accounts.toml."""
        env = os.environ.get(ENV_SHEET)
        return cls.load(env) if env else cls.load(specdata.SCHEMAS_DIR / "shunde" / "accounts.toml")
