# run this to put some test data in the db
from database import get_db
from main import Comment, Post, User

db = get_db()

users = [
    User(name="Alice", email="alice@myblog.com", password="alice123", is_admin=1),
    User(name="Bob", email="bob@gmail.com", password="bobpassword"),
    User(name="Carol", email="carol@yahoo.com", password="qwerty"),
]
for u in users:
    db.add(u)
db.commit()

for u in users:
    for i in range(3):
        p = Post(
            title=f"Post {i} by {u.name}",
            slug=f"post-{i}-by-{u.name.lower()}",
            content="Lorem ipsum dolor sit amet " * 20,
            tags="python,fastapi",
            author_id=u.id,
        )
        db.add(p)
db.commit()

for p in db.query(Post).all():
    db.add(Comment(body="Nice post!", post_id=p.id, user_id=users[0].id))
db.commit()

print("done seeding")
