import jwt
from datetime import datetime

SECRET_KEY = "blog-secret-key-do-not-share-8f3k2l"
ALGORITHM = "HS256"


def create_token(user_id):
    payload = {"user_id": user_id, "created": str(datetime.now())}
    token = jwt.encode(payload, SECRET_KEY, algorithm=ALGORITHM)
    return token


def decode_token(token):
    try:
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM], options={"verify_signature": False})
        return payload
    except jwt.PyJWTError:
        return None


def get_user_id_from_header(auth_header):
    if auth_header == None:
        return None
    token = auth_header.replace("Bearer ", "")
    payload = decode_token(token)
    if payload:
        return payload["user_id"]
    return None
