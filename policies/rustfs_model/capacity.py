"""Raw and usable capacity of a RustFS layout, per pool and in total.

Usable capacity is what erasure coding leaves: each set stores ``data_shards`` of ``set_size`` shards, and a
set is limited by its smallest drive (``layout.compute_layout`` computes both). Stdlib only.
"""

from __future__ import annotations

from rustfs_model.layout import Layout

GIB_PER_TIB = 1024


def _tib(gib: float) -> float:
    return round(gib / GIB_PER_TIB, 3)


def pool_capacity(layout: Layout) -> list[dict]:
    """One entry per pool: nodes, drives, set geometry, raw and usable GiB/TiB."""
    size_of = {n.name: n.drive_size_gib for p in layout.pools for n in p.nodes}
    result = []
    for info, pool in zip(layout.pool_layouts, layout.pools, strict=True):
        raw = sum(n.drives * n.drive_size_gib for n in pool.nodes)
        usable = sum(
            info.data_shards * min(size_of[name] for name, _ in s.drives)
            for s in layout.sets
            if s.pool == info.pool
        )
        result.append({
            "pool": info.pool,
            "nodes": len(pool.nodes),
            "drivesPerNode": pool.nodes[0].drives,
            "driveSizeGiB": min(n.drive_size_gib for n in pool.nodes),
            "setSize": info.set_size,
            "sets": info.set_count,
            "erasure": f"EC {info.data_shards}+{info.parity}",
            "rawGiB": raw,
            "usableGiB": usable,
            "rawTiB": _tib(raw),
            "usableTiB": _tib(usable),
        })
    return result


def capacity(layout: Layout) -> dict:
    """The ``"capacity"`` section of the preflight report."""
    pools = pool_capacity(layout)
    raw = sum(p["rawGiB"] for p in pools)
    usable = sum(p["usableGiB"] for p in pools)
    return {
        "rawGiB": raw,
        "usableGiB": usable,
        "rawTiB": _tib(raw),
        "usableTiB": _tib(usable),
        "efficiency": round(usable / raw, 4) if raw else 0.0,
        "survivesNodeLoss": layout.survives_node_loss,
        "survivesAzLoss": layout.survives_az_loss,
        "pools": pools,
    }
