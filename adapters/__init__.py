"""Where tokenledger meets the libraries it builds on beyond their documented API: the eventsourcing
library's private names, all in ``adapters.eventsourcing``, checked by
``tests/integration/test_eventsourcing_adapter.py``.

Every layer may import it, the model included (its aggregates are the library's); it imports no
module of the layers above the model, only their package names, to map old stored topics.
"""
