"""The provider of the ``rustfs`` component package: serves ``rustfs_aws.package.COMPONENTS`` to programs in any
Pulumi language.

The Python language host starts it as ``python <this folder> <engine address>`` (``pulumi package add``, and
every ``pulumi up`` of a program that uses the package); ``component_provider_host`` infers the schema from the
components' annotations, prints the port of its gRPC server and answers ``GetSchema`` and ``Construct``. The
version it reports is the library's, ``rustfs_aws.__version__``.
"""

from pulumi.provider.experimental import component_provider_host

from rustfs_aws import __version__
from rustfs_aws.package import COMPONENTS, NAME

if __name__ == "__main__":
    component_provider_host(COMPONENTS, NAME, version=__version__)
