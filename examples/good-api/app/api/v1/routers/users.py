"""Registration and user profiles."""

from fastapi import APIRouter, HTTPException, status

from app.api.deps import CurrentUser, SessionDep
from app.models import User
from app.schemas.user import UserCreate, UserPublic, UserRead
from app.services import users

router = APIRouter(prefix="/users", tags=["users"])


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses={status.HTTP_409_CONFLICT: {"description": "Email already registered"}},
)
def register_user(data: UserCreate, session: SessionDep) -> User:
    try:
        return users.create_user(session, data)
    except users.EmailAlreadyRegisteredError as exc:
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT, detail="Email already registered"
        ) from exc


@router.get("/me", response_model=UserRead)
def read_current_user(user: CurrentUser) -> User:
    return user


@router.get(
    "/{user_id}",
    response_model=UserPublic,
    responses={status.HTTP_404_NOT_FOUND: {"description": "No such user"}},
)
def read_user(user_id: int, session: SessionDep) -> User:
    user = users.get_user(session, user_id)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail="User not found"
        )
    return user
