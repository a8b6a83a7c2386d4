"""OpenAPI description of the project's own authentication class (drf-spectacular knows
knox's class but not subclasses of it)."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class AgencyTokenScheme(KnoxTokenScheme):
    """`Authorization: Token <key>`, as knox: scs.api.AgencyTokenAuthentication only reads the
    token in fewer queries."""

    target_class = "scs.api.AgencyTokenAuthentication"
