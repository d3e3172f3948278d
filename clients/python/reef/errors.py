"""The one exception the client raises."""


class ReefError(Exception):
    """A request reef refused or could not answer.

    status is the HTTP status (None when the client refused the call itself,
    before sending anything, or the server could not be reached); code and
    field are the server's error code (e.g. "dimension_mismatch") and the
    field at fault (e.g. "points[3].vectors.clip"), when it named one.
    """

    def __init__(self, message, status=None, code=None, field=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field

    def __str__(self):
        where = f" [{self.field}]" if self.field else ""
        head = f"{self.status} {self.code}" if self.status is not None else (self.code or "error")
        return f"{head}{where}: {self.message}"


def invalid(field, message):
    """A call refused before it was sent, shaped like the server's 400."""
    return ReefError(message, status=None, code="invalid", field=field)
