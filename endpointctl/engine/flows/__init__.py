"""One flow per command family, each a single call the CLI makes: read, decide, change, wait, report.

- ``deploy``: plan and apply (with --wait and --smoke)
- ``lifecycle``: pause, resume, scale-to-zero, delete
- ``observe``: status and hardware
- ``wait``: wait, and what apply and resume wait for
- ``smoke``: smoke tests and single requests to deployed URLs
- ``lease``: ``run``: wake an endpoint for one command, then put it back as it was found
- ``cost``: a month's cost projected from the manifests and the hardware catalog
- ``schedule``: ``schedule run``: each scheduled endpoint moved to the state its schedule holds now
- ``completion``: the live endpoint names a tab press offers, within a deadline, cached a minute
- ``export``: ``export``: live endpoints as manifests that plan no change; writing manifest files
- ``scaffold``: ``init``: a first manifest for a model (task, instance that fits, catalog recipe)
"""
