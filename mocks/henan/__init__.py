"""Mock platforms of the henan document: the city platform (city_state, city_app); the provincial platform."""
