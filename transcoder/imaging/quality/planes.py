"""Arithmetic on float planes for the metric (``ssimulacra``), ImageMath's
own C operations without its Python wrappers. No Django."""

from PIL import Image, _imagingmath


class _Plane:
    """A float plane in ``evaluate``'s expressions: ImageMath's operations, each
    one call to the C function ImageMath itself calls.

    ImageMath wraps every operation in Python (checking modes and sizes,
    making an Image, fetching pointers): about 6 us of each of a score's 300
    or so operations, a tenth of a 128K-pixel score (11.4 against 10.3 ms).
    These planes are all "F" and of one size: ``evaluate`` refuses others,
    as C would read past a smaller one. tests/test_ssimulacra.py holds each
    operation to ImageMath's result.
    """

    __slots__ = ("core",)
    _OPS = {
        name: getattr(_imagingmath, f"{name}_F")
        for name in ("add", "sub", "mul", "div", "pow", "max", "abs")
    }

    def __init__(self, core):
        self.core = core

    def _binary(self, name: str, other: "_Plane") -> "_Plane":
        if other.core.size != self.core.size:  # C would read past the smaller
            raise ValueError("The metric's planes differ in size.")
        out = Image.core.new("F", self.core.size)
        _imagingmath.binop(self._OPS[name], out.ptr, self.core.ptr, other.core.ptr)
        return _Plane(out)

    def __add__(self, other):
        return self._binary("add", other)

    def __sub__(self, other):
        return self._binary("sub", other)

    def __mul__(self, other):
        return self._binary("mul", other)

    def __truediv__(self, other):
        return self._binary("div", other)

    def __pow__(self, other):
        return self._binary("pow", other)

    def __abs__(self):
        out = Image.core.new("F", self.core.size)
        _imagingmath.unop(self._OPS["abs"], out.ptr, self.core.ptr)
        return _Plane(out)


def _maximum(a: _Plane, b: _Plane) -> _Plane:
    return a._binary("max", b)


def evaluate(function, **images):
    """Return ``function``'s expression over ``images`` ("F", one size), as
    ``ImageMath.lambda_eval`` would, with ``max`` as its one function."""
    if any(image.mode != "F" for image in images.values()):
        raise ValueError("The metric's planes are float images.")
    operands = {name: _Plane(image.im) for name, image in images.items()}
    return Image.Image()._new(function({**operands, "max": _maximum}).core)
