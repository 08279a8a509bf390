"""Doing the dishes alone: every step by one pair of hands, in order."""

DISHES = ["salad", "bread", "entree", "dessert"]


def wash(dish):
    print(f"Washing {dish} dish")


def dry(dish):
    print(f"Drying {dish} dish")


def put_away(dish):
    print(f"Putting away {dish} dish")


print("-- one at a time --")
for dish in DISHES:
    wash(dish)
    dry(dish)
    put_away(dish)

print("-- in batches --")
for step in (wash, dry, put_away):
    for dish in DISHES:
        step(dish)
