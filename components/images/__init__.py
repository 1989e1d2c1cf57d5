"""The optimized node AMI: an EC2 Image Builder pipeline that bakes a RustFS storage node (``images.enabled``)."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "pipeline": ("NodeImagePipeline", "NodeImagePipelineArgs", "image_parameter_name", "image_architecture",
                 "require_image"),
})
