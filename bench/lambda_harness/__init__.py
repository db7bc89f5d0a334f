"""Lambda's asynchronous delivery reproduced on 127.0.0.1 around Zappa's own
handler: at least once, out of order, two retries, reserved concurrency with
throttling, a maximum event age and an on-failure destination on SQS.

Used by tests/test_lambda_harness.py and by ``make load-lambda``
(``bench.lambda_harness.burst``); see docs/hardening.md.
"""
