"""What the JSON API (api/) and the pages (web/) share: services, the login dependency, refusals.

The Services a deployment runs on, the one authentication dependency with its session cookie,
and the status code of every refusal. Both import it; it imports neither."""
