"""Fixtures for driving Zappa's own handler and async machinery against moto.

A pytest plugin: test modules name it in ``pytest_plugins``.
"""

import importlib
import json
import os
import sys
import urllib.request
from types import SimpleNamespace

import pytest

from tests.lambda_helpers import FUNCTION_NAME, ROOT


@pytest.fixture(scope="session")
def zappa_settings_source(moto_endpoint):
    """Return the zappa_settings.py that `zappa package dev` writes into the zip.

    Zappa's CLI makes it from zappa_settings.json, offline.
    """
    from zappa.cli import ZappaCLI

    cli = ZappaCLI()
    cli.api_stage = "dev"
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    return cli.get_zappa_settings_string()


@pytest.fixture
def zappa_async(moto_endpoint, monkeypatch):
    """Return zappa.asynchronous with its import-time boto3 clients on moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    import zappa.asynchronous

    if zappa.asynchronous.LAMBDA_CLIENT.meta.endpoint_url != moto_endpoint:
        # Imported earlier without moto: make the clients again.
        importlib.reload(zappa.asynchronous)
    return zappa.asynchronous


@pytest.fixture
def zappa_handler(zappa_settings_source, zappa_async, tmp_path, monkeypatch, settings):
    """Return Zappa's own ``lambda_handler`` set up as in the dev stage's zip.

    The handler imports ``zappa_settings`` and copies the stage's environment
    variables into os.environ; both are undone afterwards. Django is already
    configured here, so the settings those variables drive are applied too.
    """
    from django.urls import get_script_prefix, set_script_prefix
    from zappa import handler

    (tmp_path / "zappa_settings.py").write_text(zappa_settings_source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "zappa_settings", raising=False)
    zappa_settings = importlib.import_module("zappa_settings")
    monkeypatch.setattr(handler.LambdaHandler, "_LambdaHandler__instance", None)
    monkeypatch.setattr(handler.LambdaHandler, "settings", None)

    env = zappa_settings.ENVIRONMENT_VARIABLES
    settings.ALLOWED_HOSTS = env["DJANGO_ALLOWED_HOSTS"].split(",")
    settings.STATIC_URL = env["DJANGO_STATIC_URL"]
    settings.TASKS = {"default": {"BACKEND": env["MEDIAHUB_TASK_BACKEND"]}}
    saved, prefix = dict(os.environ), get_script_prefix()
    yield SimpleNamespace(
        lambda_handler=handler.lambda_handler, settings=zappa_settings
    )
    os.environ.clear()
    os.environ.update(saved)
    # Django's handler leaves the stage's script prefix on this thread, and
    # later tests reverse URLs outside any request.
    set_script_prefix(prefix)
    sys.modules.pop("zappa_settings", None)


@pytest.fixture
def moto_lambda(zappa_async, moto_endpoint):
    """Create the dev stage's function in moto's Lambda, which runs no code.

    With Docker off, moto's server answers an Event invoke with 202 and echoes
    the body it received, which lets a test read what reached the API.
    """
    import io
    import zipfile

    import boto3

    _moto_config(moto_endpoint, {"lambda": {"use_docker": False}})
    iam = boto3.client("iam", endpoint_url=moto_endpoint)
    role = iam.create_role(
        RoleName=f"{FUNCTION_NAME}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context): pass\n")
    client = zappa_async.LAMBDA_CLIENT
    client.create_function(
        FunctionName=FUNCTION_NAME,
        Runtime="python3.12",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    yield FUNCTION_NAME
    client.delete_function(FunctionName=FUNCTION_NAME)
    iam.delete_role(RoleName=f"{FUNCTION_NAME}-role")
    _moto_config(moto_endpoint, {"lambda": {"use_docker": True}})


def _moto_config(endpoint, config):
    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps(config).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        response.read()


@pytest.fixture
def lambda_invokes(zappa_async):
    """Record every Invoke made through Zappa's own Lambda client.

    botocore's event hooks on that exact client see the API parameters going
    out and what moto's server answered; the call itself is real HTTP.
    """
    calls = []
    events = zappa_async.LAMBDA_CLIENT.meta.events

    def sent(params, **kwargs):
        calls.append(SimpleNamespace(params=dict(params), status=None, echoed=None))

    def answered(http_response, parsed, **kwargs):
        calls[-1].status = parsed.get("StatusCode")
        calls[-1].echoed = http_response.content

    events.register("provide-client-params.lambda.Invoke", sent)
    events.register("after-call.lambda.Invoke", answered)
    yield calls
    events.unregister("provide-client-params.lambda.Invoke", sent)
    events.unregister("after-call.lambda.Invoke", answered)


@pytest.fixture
def media_events(zappa_handler, s3, caplog, settings):
    """Zappa's handler routing the test bucket's events as the dev stage
    routes its media bucket's; ``deliver`` in tests/lambda_helpers.py sends one.
    """
    import logging

    from tests.lambda_helpers import MEDIA_ARN

    mapping = zappa_handler.settings.AWS_EVENT_MAPPING
    mapping[f"arn:aws:s3:::{s3.bucket}"] = mapping[MEDIA_ARN]
    # The stage's hosts, and Django's test client's.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Django's LOGGING, applied again by the handler, drops caplog's handler.
    loggers = [
        logging.getLogger(name)
        for name in ("transcoder.aws.events", "transcoder.services.assets.uploads")
    ]
    for logger in loggers:
        logger.addHandler(caplog.handler)
    yield zappa_handler
    for logger in loggers:
        logger.removeHandler(caplog.handler)
