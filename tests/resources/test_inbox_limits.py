"""Inbox files: a size cap refused with a clear reason, and text read in the encoding it was saved in."""

import pytest

from pipelines.order_recovery.feed import orders_for_day
from pipelines.returns_triage.feed import COLUMNS as RETURN_COLUMNS
from pipelines.returns_triage.feed import feed_for_day
from resources.state.inbox_limits import FileTooLarge, check_size, decode, max_file_bytes

DAY = "2025-03-04"


def test_text_is_decoded_as_utf8_then_windows_1252_then_latin1():
    assert decode("Müller;é".encode()) == ("Müller;é", "utf-8")
    assert decode(b"\xef\xbb\xbfsku,name\n") == ("sku,name\n", "utf-8-sig")
    assert decode("Müller – “quoted”".encode("cp1252")) == ("Müller – “quoted”", "cp1252")
    assert decode(b"caf\xe9 \x81") == ("café \x81", "latin-1")  # 0x81 is undefined in cp1252


def test_the_cap_is_configured_and_names_itself(monkeypatch, tmp_path):
    assert max_file_bytes() == 20 * 1024 * 1024
    monkeypatch.setenv("AIWF_MAX_INBOX_FILE_MB", "0.001")
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(FileTooLarge, match=r"file is 0\.00195 MB, over the inbox limit of 0\.000999 MB \(AIWF_MAX_INBOX_FILE_MB\)"):
        check_size(big)
    monkeypatch.setenv("AIWF_MAX_INBOX_FILE_MB", "lots")
    with pytest.raises(ValueError, match="AIWF_MAX_INBOX_FILE_MB"):
        max_file_bytes()


def _returns_csv(note: str) -> str:
    row = ["R1", "O1", "SKU-1", "Käse", "food", "9.50", "3", "0", note]
    return ",".join(RETURN_COLUMNS) + "\n" + ",".join(row) + "\n"


def test_a_latin1_returns_file_is_read_and_an_oversized_one_refused(monkeypatch, tmp_path):
    (tmp_path / f"returns-{DAY}-a.csv").write_bytes(_returns_csv("zu groß; défaut").encode("latin-1"))
    (tmp_path / f"returns-{DAY}-b.csv").write_bytes(_returns_csv("fine").encode("utf-8"))
    frame, files, rejected = feed_for_day(tmp_path, DAY)
    assert rejected == {} and len(files) == 2
    assert list(frame["customer_note"]) == ["zu groß; défaut", "fine"] and frame["product"][0] == "Käse"
    assert frame.attrs["encodings"] == {f"returns-{DAY}-a.csv": "cp1252", f"returns-{DAY}-b.csv": "utf-8"}

    monkeypatch.setenv("AIWF_MAX_INBOX_FILE_MB", "0.0001")  # about 100 bytes: both files are over it
    frame, _, rejected = feed_for_day(tmp_path, DAY)
    assert frame.empty and set(rejected) == {f"returns-{DAY}-a.csv", f"returns-{DAY}-b.csv"}
    assert all("over the inbox limit" in reason for reason in rejected.values())


def test_orders_record_their_encoding_and_refuse_oversized_files(monkeypatch, tmp_path):
    header = "order_id,problem,detail,sku,supplier,claimed_amount,customer_note\n"
    (tmp_path / f"orders-{DAY}.csv").write_bytes(
        (header + "A1,damaged_item,Glas zerbrochen – bitte prüfen,,,,Grüße\n").encode("cp1252"))
    frame, bad_files, bad_rows = orders_for_day(tmp_path, DAY)
    assert (bad_files, bad_rows) == ({}, {})
    assert frame["detail"][0] == "Glas zerbrochen – bitte prüfen" and frame.attrs["encodings"] == {
        f"orders-{DAY}.csv": "cp1252"}

    monkeypatch.setenv("AIWF_MAX_INBOX_FILE_MB", "0.00001")
    frame, bad_files, _ = orders_for_day(tmp_path, DAY)
    assert frame.empty and "AIWF_MAX_INBOX_FILE_MB" in bad_files[f"orders-{DAY}.csv"]


def test_a_users_inbox_workflow_reads_latin1_and_refuses_oversized_files(monkeypatch, tmp_path):
    """The scaffolded and YAML workflows read their CSV inbox through the same limits as the shipped feeds."""
    from pipelines.components.inbox_csv import read_day

    (tmp_path / f"tickets_{DAY}.csv").write_bytes("id,text\nT1,Drucker defekt – Grüße\n".encode("cp1252"))
    rows, rejected = read_day(tmp_path, DAY, ["id", "text"])
    assert rejected == {} and list(rows["text"]) == ["Drucker defekt – Grüße"]

    monkeypatch.setenv("AIWF_MAX_INBOX_FILE_MB", "0.00001")
    rows, rejected = read_day(tmp_path, DAY, ["id", "text"])
    assert rows.empty and "AIWF_MAX_INBOX_FILE_MB" in rejected[f"tickets_{DAY}.csv"]
