"""The ``images`` section of the stack configuration: the optimized node AMI (components/images/pipeline.py).

``images.enabled`` creates the EC2 Image Builder pipeline; ``images.use`` switches the launch templates to the
AMI it distributes (``resolve:ssm:`` of its SSM parameter), which needs an image to exist first: see
pipeline.py for the order of a first deployment. ``images.schedule`` is an Image Builder cron expression: six
fields, minutes hours day-of-month month day-of-week year (Image Builder User Guide, "Use cron expressions in
Image Builder"; the five-field form is no longer accepted, pulumi-aws ImagePipelineScheduleArgs). Imports
nothing from the rest of the program (config.py imports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Saturday 04:00 UTC: a new image is built (when AL2023 or a component has an update) and tested a day before the
# default patch window (operations.patching.schedule, Sunday 04:00).
DEFAULT_SCHEDULE = "cron(0 4 ? * SAT *)"
_CRON = re.compile(r"^cron\(\S+( \S+){5}\)$")


@dataclass(frozen=True)
class ImagesConfig:
    enabled: bool = False  # create the Image Builder pipeline
    use: bool = False  # launch nodes from the pipeline's newest image (needs one to exist)
    schedule: str = DEFAULT_SCHEDULE


def parse_images(p, raw: dict, *, platform: str, ami_id: str | None) -> ImagesConfig:
    """``images``: ``enabled``, ``use``, ``schedule`` (``p`` is config.py's ``Problems``)."""
    s = p.section(raw, "images", "images", {"enabled", "use", "schedule"})
    enabled = p.boolean(s, "enabled", "images.enabled", False)
    use = p.boolean(s, "use", "images.use", False)
    schedule = p.string(s, "schedule", "images.schedule", DEFAULT_SCHEDULE, " Image Builder cron expression of six "
                        "fields, such as cron(0 4 ? * SAT *)", check=lambda v: bool(_CRON.match(v)))
    if platform != "ec2" and (enabled or use):
        p.add("images.enabled", enabled, f"only with cluster.platform: ec2 (this stack has {platform!r}: EKS nodes "
              "boot the node group's EKS-optimized AMI); remove the images section")
    if use and not enabled:
        p.add("images.use", True, "needs images.enabled: true (the pipeline that builds the image the nodes use)")
    if use and ami_id:
        p.add("images.use", True, f"cluster.amiId ({ami_id}) already names the nodes' AMI; set one or the other")
    return ImagesConfig(enabled=enabled, use=use, schedule=schedule)
