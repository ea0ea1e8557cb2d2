"""A stand-in for the file object `empirics.fileio._open` returns, for tests that simulate a failing disk:
subclass it and override `write` (a full disk raises ENOSPC; a garbling disk stores other bytes)."""


class WrappedFile:
    def __init__(self, f):
        self.f = f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def fileno(self):
        return self.f.fileno()

    def flush(self):
        self.f.flush()

    def write(self, data):
        return self.f.write(data)
