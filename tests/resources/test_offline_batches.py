"""The offline double's Batch API, driven by the real `openai` client: files, batches, delay, failures, expiry."""

import json
import time

import openai
import pytest


@pytest.fixture
def client(offline_llm, offline_server):
    offline_server.configure(batch_delay_s=0, batch_fail_rate=0, batch_expire_share=0, batch_seed=0,
                             reset_counters=True)
    return openai.OpenAI(base_url=offline_server.url, api_key="offline", max_retries=0)


def body(i: int) -> dict:
    return {"model": "gpt-4o-mini", "temperature": 0,
            "messages": [{"role": "user", "content": f"Message {i} says the parcel arrived late. It was cold."}]}


def jsonl(n: int, start: int = 0) -> bytes:
    return "".join(json.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                               "body": body(i)}) + "\n" for i in range(start, start + n)).encode()


def submit(client, data: bytes):
    upload = client.files.create(file=("in.jsonl", data), purpose="batch")
    return client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h")


def lines(client, file_id: str | None) -> dict:
    if file_id is None:
        return {}
    return {line["custom_id"]: line for line in map(json.loads, client.files.content(file_id).text.splitlines())}


def test_files_upload_retrieve_and_content(client):
    data = jsonl(3)
    upload = client.files.create(file=("in.jsonl", data), purpose="batch")
    assert upload.purpose == "batch" and upload.bytes == len(data)
    assert client.files.retrieve(upload.id).filename == "in.jsonl"
    assert client.files.content(upload.id).content == data
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-missing")


def test_a_batch_answers_like_the_chat_endpoint_after_its_delay(client, offline_server):
    offline_server.configure(batch_delay_s=0.5)
    batch = submit(client, jsonl(4))
    assert batch.status == "in_progress" and batch.request_counts.total == 4
    assert client.batches.retrieve(batch.id).output_file_id is None  # not due yet
    time.sleep(0.55)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.request_counts.completed == 4 and done.error_file_id is None
    out = lines(client, done.output_file_id)
    assert set(out) == {"r0", "r1", "r2", "r3"}
    sync = client.chat.completions.create(**body(2))
    assert out["r2"]["response"]["status_code"] == 200
    assert out["r2"]["response"]["body"]["choices"][0]["message"]["content"] == sync.choices[0].message.content
    counters = offline_server.counters()
    assert counters["batch_answered"] == 4 and counters["duplicate_bodies"] == 1  # r2 answered twice: paid twice
    assert batch.id in [b.id for b in client.batches.list()]


def test_partial_failures_and_400s_land_in_the_error_file(client, offline_server):
    offline_server.configure(batch_fail_rate=0.5, batch_seed=1, fail_400_on="Message 7 ")
    done = client.batches.retrieve(submit(client, jsonl(10)).id)
    out, errors = lines(client, done.output_file_id), lines(client, done.error_file_id)
    assert done.status == "completed" and len(out) + len(errors) == 10 and 0 < len(errors) < 10
    assert done.request_counts.failed == len(errors)
    assert {e["response"]["status_code"] for e in errors.values()} <= {400, 500}
    assert "r7" in errors or "r7" not in out


def test_expiry_leaves_the_last_share_unanswered(client, offline_server):
    offline_server.configure(batch_expire_share=0.3)
    done = client.batches.retrieve(submit(client, jsonl(10)).id)
    errors = lines(client, done.error_file_id)
    assert done.status == "expired" and len(lines(client, done.output_file_id)) == 7
    assert set(errors) == {"r7", "r8", "r9"} and {e["error"]["code"] for e in errors.values()} == {"batch_expired"}


def test_cancel_and_list(client, offline_server):
    offline_server.configure(batch_delay_s=30)
    first, second = submit(client, jsonl(2)), submit(client, jsonl(2, start=2))
    assert client.batches.cancel(first.id).status == "cancelling"
    assert client.batches.retrieve(first.id).status == "cancelled"
    assert client.batches.retrieve(second.id).status == "in_progress"
    listed = [b.id for b in client.batches.list(limit=1)]  # pages through with `after`
    assert listed[:2] == [second.id, first.id]
    counters = offline_server.counters()
    assert counters["batches_cancelled"] == 1 and counters["batch_answered"] == 0


def test_a_request_in_two_batches_is_counted_as_resubmitted(client, offline_server):
    submit(client, jsonl(3))
    submit(client, jsonl(3, start=2))
    assert offline_server.counters()["batch_requests_resubmitted"] == 1  # r2, same body


def test_an_invalid_input_file_fails_the_batch(client):
    bad = b'{"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}}\n'
    batch = submit(client, bad)
    assert batch.status == "failed" and "url must be" in batch.errors.data[0].message
    dup = jsonl(1) + jsonl(1)
    assert "not unique" in submit(client, dup).errors.data[0].message
