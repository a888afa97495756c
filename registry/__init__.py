"""Registry data: the demo county, the template county, and the scripts that write them."""
