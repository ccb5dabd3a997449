from django.contrib import admin

from children.models import MinimumWeightGain


@admin.register(MinimumWeightGain)
class MinimumWeightGainAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "age_month_from", "age_month_to", "min_gain_g", "source"]
    list_filter = ["valid_from"]
    ordering = ["-valid_from", "age_month_from"]
