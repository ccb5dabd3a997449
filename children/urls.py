"""Pages of the registries; each module of children/views declares its own urlpatterns."""

from children.views import (
    child,
    duplicates,
    guide,
    imports,
    kader_home,
    lookup,
    offline,
    posyandu_day,
    pwa,
    registry,
    registry_children,
    search,
)

app_name = "children"

urlpatterns = [
    *guide.urlpatterns,
    *posyandu_day.urlpatterns,
    *offline.urlpatterns,
    *pwa.urlpatterns,
    *kader_home.urlpatterns,
    *child.urlpatterns,
    *registry.urlpatterns,
    *registry_children.urlpatterns,
    *lookup.urlpatterns,
    *search.urlpatterns,
    *duplicates.urlpatterns,
    *imports.urlpatterns,
]
