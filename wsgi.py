import gc

from cosign.app import create_app

app = create_app()
# What the start-up built lives as long as the process: the cyclic garbage collector need not
# go through it again in every full collection, nor at the process's exit (~0.3 s of CPU for
# each gunicorn worker and each `flask --app wsgi ...` command)
gc.freeze()
