# Regenerates the numpy fixtures: /usr/bin/python3 gen.py (numpy >= 1.17).
# Values are small and exact in every dtype so tests can compare exactly.
import numpy as np
from numpy.lib import format as npf

base = np.arange(12, dtype=np.float64).reshape(3, 4) / 4 - 1  # exact in f2

np.save("f4.npy", base.astype("<f4"))
np.save("f8.npy", base.astype("<f8"))
np.save("f2.npy", base.astype("<f2"))
np.save("f4be.npy", base.astype(">f4"))
np.save("f8be.npy", base.astype(">f8"))
np.save("fortran.npy", np.asfortranarray(base.astype("<f4")))
np.save("vec1d.npy", base[0].astype("<f4"))
with open("v2.npy", "wb") as f:
    npf.write_array(f, base.astype("<f4"), version=(2, 0))
with open("v3.npy", "wb") as f:
    npf.write_array(f, base.astype("<f4"), version=(3, 0))

np.save("ids_unicode.npy", np.array(["a", "bé", "日本語"]))
np.save("ids_bytes.npy", np.array([b"x1", b"y22", b"z"]))
np.save("ids_i8.npy", np.array([1, -2, 30000000000], dtype="<i8"))
np.save("ids_u4.npy", np.array([7, 8, 4000000000], dtype="<u4"))
np.save("object.npy", np.array(["a", 1, None], dtype=object), allow_pickle=True)
np.save("structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
np.save("complex.npy", np.zeros((2, 2), dtype="<c8"))

ids = np.array(["a", "bé", "日本語"])
np.savez("stored.npz", embeddings=base.astype("<f4"), ids=ids)
np.savez_compressed("compressed.npz", vectors=base.astype("<f8"), ids=np.array([1, 2, 3]))
np.savez("positional.npz", base.astype("<f4"), np.array([1.0, 2.0]))

# An archive whose extra 1-D arrays are metadata fields (ReadNPZTable).
np.savez("meta.npz", embeddings=base.astype("<f4"), ids=ids,
         label=np.array(["cat", "dog", "猫"]), count=np.array([1, -2, 3], dtype="<i8"),
         score=np.array([0.1, np.nan, 2.5], dtype="<f4"), big=np.array([1, 2, 2**64 - 1], dtype="<u8"),
         ok=np.array([True, False, True]), raw=np.array([b"x", b"", b"z"]))
np.savez("meta_2d.npz", embeddings=base.astype("<f4"), other=np.zeros((3, 2)))
