"""The honest comparison: the stack's monthly cost against keeping the same data and traffic in Amazon S3 itself.

Both sides come from the one dated price table (``data/prices.json``, through ``catalogue.price``); a price it lacks
makes an "unpriced" note, never a free line.

- **S3 for the same data and traffic**: the stored data (``usage.storedTiB`` plus half the month's growth, as
  cost.py counts it) once in S3 Standard - S3's redundancy is in its price, RustFS's erasure overhead is in the EBS
  lines of the stack - plus the requests of the same traffic: ``usage.s3RequestsPerSecond`` for the month, split
  into PUTs and GETs in the ratio of ``usage.writeMBps`` to ``usage.readMBps``. Transfer between EC2 and S3 in the
  same Region is free ("There is no Data Transfer charge for data transferred between Amazon EC2 and Amazon S3
  within the same Region", Amazon S3 FAQs), so clients in the Region pay nothing on either side; transfer out to the
  internet costs the same per GB from an internet-facing NLB as from S3 (both are data transfer out), so it is left
  out of both. S3 Standard's price falls above 50 TB a month (to at most about 9 % less, $0.021 against $0.023 at the
  largest volumes: "from $0.021 to $0.026 per GB ... depending on the Region and the volume of data stored",
  cloudhealthtech.com, "S3 cost: AWS cloud storage costs explained"); the table holds the first tier only, so above
  50 TB this comparison overstates S3 by up to that much.
- **Per TiB-month and per GB/s**: the stack's total over its usable capacity, over the data it actually stores, and
  over its sustained read and write bounds; S3's per TiB-month is its Standard price x 1,024, and S3 has no
  throughput price, only requests: sustaining 1 GB/s for a month in requests of ``request_size_mib`` (8 MiB, the AWS
  CLI's default ``multipart_chunksize``) costs the GETs (or PUTs) that takes.
- **Break-even**: what the stack costs beyond S3's storage of the same data, expressed as the sustained GET (or PUT)
  rate whose S3 request charges would match it. Below that, S3 alone is cheaper.
- **Tiering**: RustFS with most data in an S3 tier keeps the hot share on the cluster; each TiB moved to the tier
  stops needing ``raw/usable`` TiB of data volumes once the cluster is sized for the hot share, and costs the tier
  class's price instead (plus a retrieval fee when read back from an infrequent-access class, not in the table).
Stdlib only, for the pack.
"""

from __future__ import annotations

from rustfs_model.catalogue import HOURS_PER_MONTH, PriceNotSourced, price, price_table

GB_PER_TIB = 1024
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
REQUEST_SIZE_MIB = 8  # AWS CLI S3 configuration: multipart_chunksize, default 8MB
MIB = 1024 * 1024


class _Prices:
    def __init__(self, region: str):
        self.region, self.unpriced, self.dates = region, [], set()

    def get(self, table: str, key: str) -> float | None:
        try:
            value = price(self.region, table, key)
        except PriceNotSourced as err:
            self.unpriced.append(str(err))
            return None
        self.dates.add(price_table(table)["date"])
        return value


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def request_cost_per_gbps_month(price_per_1k: float, request_size_mib: float = REQUEST_SIZE_MIB) -> float:
    """USD a month of the requests that move 1 GB/s (10^9 bytes) for a whole month in requests of the given size."""
    requests_per_second = 1e9 / (request_size_mib * MIB)
    return requests_per_second * SECONDS_PER_MONTH * price_per_1k / 1000


def break_even_rate(extra_usd: float, price_per_1k: float) -> float:
    """Sustained requests per second whose S3 charges for a month equal ``extra_usd``."""
    return extra_usd / (SECONDS_PER_MONTH * price_per_1k / 1000)


def compare(*, region: str, rustfs_monthly_usd: float, usable_tib: float | None, raw_tib: float | None,
            read_gbps: float | None, write_gbps: float | None, usage: dict, data_volume_gb_month: float | None = None,
            tier_class: str = "STANDARD_IA", request_size_mib: float = REQUEST_SIZE_MIB) -> dict:
    """The ``s3Comparison`` part of the cost report (see the module docstring for what each figure means)."""
    prices = _Prices(region)
    storage = prices.get("s3", "STANDARD_gb_month")
    put, get = prices.get("s3", "STANDARD_put_per_1k"), prices.get("s3", "STANDARD_get_per_1k")
    stored = float(usage.get("storedTiB", 0)) + float(usage.get("growthTiBPerMonth", 0)) / 2
    read, write = float(usage.get("readMBps", 0)), float(usage.get("writeMBps", 0))
    write_share = write / (read + write) if read + write > 0 else 0.5
    requests = float(usage.get("s3RequestsPerSecond", 0)) * SECONDS_PER_MONTH
    puts, gets = requests * write_share, requests * (1 - write_share)
    lines = [
        {"what": "S3 Standard storage",
         "monthlyUSD": _round(None if storage is None else stored * GB_PER_TIB * storage),
         "basis": f"{stored:g} TiB x {GB_PER_TIB} GB x ${storage}/GB-month (usage.storedTiB + half the month's "
                  "growth)"},
        {"what": "S3 PUT, COPY, POST, LIST requests", "monthlyUSD": _round(None if put is None else puts / 1000 * put),
         "basis": f"{puts / 1e6:.1f}M requests x ${put}/1,000 (usage.s3RequestsPerSecond x the write share "
                  f"{write_share:.0%} of usage.writeMBps + readMBps)"},
        {"what": "S3 GET and other requests", "monthlyUSD": _round(None if get is None else gets / 1000 * get),
         "basis": f"{gets / 1e6:.1f}M requests x ${get}/1,000"},
        {"what": "Data transfer, clients in the Region", "monthlyUSD": 0.0,
         "basis": "free between EC2 and S3 in one Region (S3 FAQs); internet egress costs both sides the same"},
    ]
    s3_total = sum(line["monthlyUSD"] or 0.0 for line in lines)
    per_tib = None if storage is None else storage * GB_PER_TIB
    s3_storage = lines[0]["monthlyUSD"] or 0.0
    extra = rustfs_monthly_usd - s3_storage

    def per(amount: float | None, quantity: float | None) -> float | None:
        return _round(amount / quantity) if amount is not None and quantity else None

    rustfs = {"monthlyUSD": _round(rustfs_monthly_usd), "usableTiB": usable_tib, "storedTiB": round(stored, 3),
              "perUsableTiBMonth": per(rustfs_monthly_usd, usable_tib),
              "perStoredTiBMonth": per(rustfs_monthly_usd, stored), "readGBps": read_gbps, "writeGBps": write_gbps,
              "perReadGBpsMonth": per(rustfs_monthly_usd, read_gbps),
              "perWriteGBpsMonth": per(rustfs_monthly_usd, write_gbps)}
    s3 = {"lines": lines, "monthlyUSD": _round(s3_total), "perTiBMonth": _round(per_tib),
          "usableTiBMonthlyUSD": _round(None if per_tib is None or not usable_tib else per_tib * usable_tib),
          "requestSizeMiB": request_size_mib,
          "perReadGBpsMonth": _round(None if get is None else request_cost_per_gbps_month(get, request_size_mib)),
          "perWriteGBpsMonth": _round(None if put is None else request_cost_per_gbps_month(put, request_size_mib))}
    even = {"extraOverS3StorageUSD": _round(extra),
            "getPerSecond": _round(break_even_rate(extra, get), 0) if get and extra > 0 else None,
            "putPerSecond": _round(break_even_rate(extra, put), 0) if put and extra > 0 else None}
    tier_price = prices.get("s3", f"{tier_class}_gb_month")
    tiering = {"class": tier_class, "perTiBMonth": _round(None if tier_price is None else tier_price * GB_PER_TIB)}
    if data_volume_gb_month is not None and usable_tib and raw_tib:
        freed = raw_tib / usable_tib * GB_PER_TIB * data_volume_gb_month
        tiering.update({"dataVolumesPerUsableTiBMonth": _round(freed),
                        "savingPerTieredTiBMonth": _round(None if tier_price is None
                                                          else freed - tier_price * GB_PER_TIB)})
    result = {"region": region, "priceDate": min(prices.dates) if prices.dates else None, "rustfs": rustfs, "s3": s3,
              "breakEven": even, "tiering": tiering, "unpriced": sorted(set(prices.unpriced))}
    result["verdict"] = verdict(result)
    return result


def verdict(c: dict) -> list[str]:
    """Plain sentences: which is cheaper for this usage, and where the balance would turn."""
    rustfs, s3, even, tiering = c["rustfs"], c["s3"], c["breakEven"], c["tiering"]
    out = []
    if s3["monthlyUSD"] and rustfs["monthlyUSD"] is not None:
        ratio = rustfs["monthlyUSD"] / s3["monthlyUSD"]
        cheaper = "S3 alone is cheaper" if ratio > 1 else "this stack is cheaper than S3"
        out.append(f"For this usage {cheaper}: ${s3['monthlyUSD']:,.2f} a month in S3 Standard against "
                   f"${rustfs['monthlyUSD']:,.2f} for the stack ({ratio:.1f}x).")
    if s3["perTiBMonth"] and rustfs["perUsableTiBMonth"]:
        out.append(f"Per TiB-month: the stack costs ${rustfs['perUsableTiBMonth']:,.2f} per usable TiB when full "
                   f"(${rustfs['perStoredTiBMonth'] or 0:,.2f} per TiB it stores now), S3 Standard "
                   f"${s3['perTiBMonth']:,.2f}; filled to its {rustfs['usableTiB']} TiB the same data would cost "
                   f"${s3['usableTiBMonthlyUSD']:,.2f} in S3.")
    if rustfs["perReadGBpsMonth"] and s3["perReadGBpsMonth"]:
        out.append(f"Per GB/s: the stack costs ${rustfs['perReadGBpsMonth']:,.2f} a month per GB/s of its sustained "
                   f"read bound (${rustfs['perWriteGBpsMonth'] or 0:,.2f} per GB/s of write); S3 charges no "
                   f"throughput, only requests: 1 GB/s for a month in {s3['requestSizeMiB']:g} MiB requests costs "
                   f"${s3['perReadGBpsMonth']:,.2f} in GETs or ${s3['perWriteGBpsMonth']:,.2f} in PUTs (and the "
                   "written data's storage).")
    if even["getPerSecond"]:
        out.append(f"The stack costs ${even['extraOverS3StorageUSD']:,.2f} a month more than storing its data in S3; "
                   f"S3's request charges reach that only above about {even['getPerSecond']:,.0f} GET/s or "
                   f"{even['putPerSecond']:,.0f} PUT/s sustained. Below that S3 alone is the better choice on cost; "
                   "RustFS pays off with heavy small-object traffic, or where S3 is not an option.")
    elif even["extraOverS3StorageUSD"] is not None and even["extraOverS3StorageUSD"] <= 0:
        out.append("The stack costs less than S3's storage of the same data alone.")
    if tiering.get("savingPerTieredTiBMonth") is not None:
        out.append(f"Tiering: each TiB moved to S3 {tiering['class']} costs ${tiering['perTiBMonth']:,.2f} a month "
                   f"there and frees ${tiering['dataVolumesPerUsableTiBMonth']:,.2f} of data volumes once the "
                   f"cluster is sized for the hot data: ${tiering['savingPerTieredTiBMonth']:,.2f} a month per TiB "
                   "(plus the tier's retrieval fee when cold data is read back). RustFS with most data tiered beats "
                   "RustFS alone when the cold share is rarely read; it beats S3 alone only if the hot share's "
                   "request rate is above the break-even.")
    return out
