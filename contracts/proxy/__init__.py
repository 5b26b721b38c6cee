"""``videos-contract proxy``: grade the traffic a client already sends, at no GPU cost.

    client -> proxy (forward.py) -> target
                 \\-> grader (grader.py): case (contracts/intent.py) -> record -> judge -> reports

The forwarder passes every request and answer through unchanged, streaming, and hands what it saw
to the grader, which records and judges each exchange with the checks of ``videos-contract run``
and writes the same reports. serve.py is the command. See docs/proxy.md.
"""
