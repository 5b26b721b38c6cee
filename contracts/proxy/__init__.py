"""``videos-contract proxy``: grade the traffic a client already sends, at no GPU cost.

    client -> proxy (forward.py) -> target
                 +-> grader (grader.py, a process of its own): case (contracts/intent.py) -> record
                     (record.py) -> judge -> reports

The forwarder passes every request and answer through unchanged, streaming, and hands what it saw
(capture.py) to the grader, which records and judges each exchange with the checks of
``videos-contract run`` and writes the same reports. serve.py is the command. See docs/proxy.md.
"""
