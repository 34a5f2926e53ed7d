"""Which step failures are infrastructure blips (resources/state/blips.py is_infrastructure_failure): the errors a
Postgres restart, a Redis outage or a lost result backend raise outside aiwf's own waits, and not bugs."""

import sys

import pytest

from sensors.dagster_internals import serializable_error_info_from_exc_info


def _info(raise_it):
    try:
        raise_it()
    except Exception:
        return serializable_error_info_from_exc_info(sys.exc_info())


def _chained(outer: Exception, inner: Exception):
    def raise_it():
        try:
            raise inner
        except Exception as exc:
            raise outer from exc

    return raise_it


def _plain(exc: Exception):
    def raise_it():
        raise exc

    return raise_it


def test_connection_errors_of_the_store_broker_and_backend_are_blips():
    import psycopg2
    import redis
    import sqlalchemy.exc

    from resources.state.blips import InfrastructureUnavailable, is_infrastructure_failure

    pg = psycopg2.OperationalError("server closed the connection unexpectedly")
    blips = [
        _plain(sqlalchemy.exc.OperationalError("SELECT 1", {}, pg)),
        _chained(RuntimeError("Error occurred while executing op"), pg),  # a user error's cause
        _plain(redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")),
        _plain(RuntimeError("Retry limit exceeded while trying to reconnect to the Celery result store backend.")),
        _plain(InfrastructureUnavailable("the store", 300, pg)),
    ]
    assert all(is_infrastructure_failure(_info(b)) for b in blips)


@pytest.mark.parametrize("exc", [ValueError("bad row"), KeyError("return_id"), RuntimeError("a bug"),
                                 ConnectionError("provider said no")])
def test_bugs_and_bad_data_are_not(exc):
    from resources.state.blips import is_infrastructure_failure

    assert not is_infrastructure_failure(_info(_plain(exc)))
    assert not is_infrastructure_failure(None)
