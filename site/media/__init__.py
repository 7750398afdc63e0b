"""Media: imaging (validate by content, normalise, variants), storage/ (the interface;
local.py for the disk, qiniu.py for Qiniu), ingest (one image in: a row plus all its
variants, or neither), the storage sweep, and the bulk importer. CLI: flask storage,
flask import.
"""
