"""Offline inputs: paths, directories, gzip, bugreport zips and stdin, opened lazily and streamed.

Archives are read in place (zipfile / gzip streams), never extracted to disk.
"""
