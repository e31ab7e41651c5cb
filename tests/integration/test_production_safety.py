"""Safe to run in production: secrets, several processes and nodes on one store, files at
rest, and input that once made the server fail. Each class is one defect found by trying
the system as an operator and an attacker would."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from adapters.bootstrap import Settings, job_secret
from adapters.secrets import SecretFileError, create_secret_file, ensure_hex_secret


def _start_together(args: tuple[str, multiprocessing.synchronize.Barrier]) -> str:
    directory, barrier = args
    barrier.wait()
    return ensure_hex_secret(Path(directory) / "http-job.key").hex()


class TestSecretFilesAreWholeOrAbsent:
    def test_an_empty_job_secret_is_refused_not_used(self, tmp_path: Path) -> None:
        (tmp_path / "http-job.key").write_text("")
        with pytest.raises(SecretFileError, match="fewer than"):
            job_secret(Settings(data_dir=tmp_path))

    def test_the_server_does_not_start_on_an_empty_job_secret(self, tmp_path: Path) -> None:
        from adapters.bootstrap import init_data_dir
        from adapters.http.app import create_app

        settings = Settings(data_dir=tmp_path / "data")
        init_data_dir(settings)
        (settings.data_dir / "http-job.key").write_text("")  # a start killed mid-write
        with pytest.raises(SecretFileError):
            create_app(settings)

    def test_a_short_or_garbled_secret_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "http-job.key").write_text("abcd\n")
        with pytest.raises(SecretFileError):
            job_secret(Settings(data_dir=tmp_path))
        (tmp_path / "http-job.key").write_text("not hex at all\n")
        with pytest.raises(SecretFileError, match="hex"):
            job_secret(Settings(data_dir=tmp_path))

    def test_processes_starting_together_all_get_the_same_full_secret(
            self, tmp_path: Path) -> None:
        context = multiprocessing.get_context("fork")
        with context.Manager() as manager, context.Pool(4) as pool:
            for round_ in range(25):
                directory = tmp_path / f"round{round_}"
                directory.mkdir()
                barrier = manager.Barrier(4)
                secrets = pool.map(_start_together, [(str(directory), barrier)] * 4)
                assert len(set(secrets)) == 1, f"round {round_}: {secrets}"
                assert len(bytes.fromhex(secrets[0])) == 32
                assert sorted(p.name for p in directory.iterdir()) == ["http-job.key"]

    def test_a_secret_file_is_private_from_its_first_byte(self, tmp_path: Path) -> None:
        old = os.umask(0)
        try:
            assert create_secret_file(tmp_path / "s.key", b"x" * 32)
        finally:
            os.umask(old)
        assert (tmp_path / "s.key").stat().st_mode & 0o777 == 0o600
        assert not create_secret_file(tmp_path / "s.key", b"y" * 32)  # never replaced
        assert (tmp_path / "s.key").read_bytes() == b"x" * 32


class TestARevokedUziPassEndsAtOnce:
    def test_a_new_crl_ends_the_login_of_a_pass_it_revokes_on_the_next_request(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import datetime as dt

        from cryptography.hazmat.primitives import serialization
        from fastapi.testclient import TestClient

        from adapters.pki.certificates import Holder
        from adapters.pki.hierarchy import UziTestHierarchy
        from tests.integration.test_http_api import header, make_api

        now = dt.datetime.now(dt.UTC)
        pki = UziTestHierarchy()
        issued = pki.issue_pass(Holder("900020001", "N", "90000382", "00.000", "00000000",
                                       "Bea", "Assistent", "Praktijk"),
                                now - dt.timedelta(days=30), now + dt.timedelta(days=900))
        files = [tmp_path / "z.crl", tmp_path / "n.crl"]

        def publish() -> None:
            for file, crl in zip(files, pki.crls(now - dt.timedelta(minutes=5)), strict=True):
                file.write_bytes(crl.public_bytes(serialization.Encoding.DER))

        publish()
        monkeypatch.setenv("ZORGID_UZI_CRLS", ",".join(map(str, files)))
        client = TestClient(make_api(tmp_path / "data", pki, monkeypatch))
        assert client.get("/v1/me", headers=header(issued)).status_code == 200
        pki.revoke(issued, now - dt.timedelta(minutes=1))
        publish()  # the fetch job brings the new list
        refused = client.get("/v1/me", headers=header(issued))
        assert refused.status_code == 401
        assert refused.json()["code"] == "certificate_revoked"
