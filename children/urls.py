"""Pages of the registries; each module of children/views declares its own urlpatterns."""

from children.views import (
    child,
    duplicates,
    guide,
    imports,
    kader_home,
    lookup,
    posyandu_day,
    registry,
    search,
)

app_name = "children"

urlpatterns = [
    *guide.urlpatterns,
    *posyandu_day.urlpatterns,
    *kader_home.urlpatterns,
    *child.urlpatterns,
    *registry.urlpatterns,
    *lookup.urlpatterns,
    *search.urlpatterns,
    *duplicates.urlpatterns,
    *imports.urlpatterns,
]
